// Image -> local command (dev/node-agent/images.json). There is no container runtime: an image is a recipe for a
// host process. An image missing from the map fails the pod with reason ErrImagePull.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ImageEntry {
  entrypoint: string[];
  cmd: string[];
  aliases?: Record<string, string[]>;
}

interface ImagesFile {
  images: Record<string, ImageEntry>;
}

/** `docker.io/library/busybox:1.36@sha256:..` -> `busybox`; `ghcr.io/x/y:1` -> `ghcr.io/x/y` (and `x/y` tried too). */
export function imageCandidates(image: string): string[] {
  let ref = image.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > lastSlash) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  const out = [ref];
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? '')) out.push(parts.slice(1).join('/'));
  for (const c of [...out]) if (c.startsWith('library/')) out.push(c.slice('library/'.length));
  return out;
}

export class ImageMap {
  private readonly images: Record<string, ImageEntry>;

  constructor(
    private readonly vars: { REPO: string; STACK_DIR: string },
    file = join(vars.REPO, 'dev', 'node-agent', 'images.json'),
  ) {
    this.images = (JSON.parse(readFileSync(file, 'utf8')) as ImagesFile).images;
  }

  private subst(s: string): string {
    return s.replace(/\$\{(REPO|STACK_DIR)\}/g, (_, k: 'REPO' | 'STACK_DIR') => this.vars[k]);
  }

  resolve(image: string): ImageEntry | undefined {
    for (const c of imageCandidates(image)) {
      const e = this.images[c];
      if (e) {
        const aliases: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(e.aliases ?? {})) aliases[k] = v.map((s) => this.subst(s));
        return { entrypoint: e.entrypoint.map((s) => this.subst(s)), cmd: e.cmd.map((s) => this.subst(s)), aliases };
      }
    }
    return undefined;
  }

  /** Kubernetes semantics: command replaces ENTRYPOINT (and drops CMD), args replace CMD; then argv[0] aliases. */
  argv(entry: ImageEntry, command: string[] | undefined, args: string[] | undefined): string[] {
    let argv: string[];
    if (command && command.length) argv = [...command, ...(args ?? [])];
    else if (args && args.length) argv = [...entry.entrypoint, ...args];
    else argv = [...entry.entrypoint, ...entry.cmd];
    const head = argv[0];
    const alias = head !== undefined ? entry.aliases?.[head] : undefined;
    if (alias) argv = [...alias, ...argv.slice(1)];
    return argv;
  }
}
