// Kubernetes $(VAR) expansion for command, args and env values (k8s.io/kubernetes third_party/forked/golang/expansion):
// $(NAME) -> value when NAME is defined, else left as written; $$ -> $ (so $$(NAME) stays literal).
export function expand(input: string, vars: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch === '$' && i + 1 < input.length) {
      const next = input[i + 1];
      if (next === '$') {
        out += '$';
        i += 2;
        continue;
      }
      if (next === '(') {
        const close = input.indexOf(')', i + 2);
        if (close >= 0) {
          const name = input.slice(i + 2, close);
          const v = vars(name);
          out += v === undefined ? `$(${name})` : v;
          i = close + 1;
          continue;
        }
        out += input.slice(i);
        break;
      }
    }
    out += ch;
    i++;
  }
  return out;
}
