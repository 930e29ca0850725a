// stashflow node agent: the stand-in for kubelet + container runtime on this machine (see README.md).
import os from 'node:os';
import { loadConfig } from './config.js';
import { ObjectReader } from './env-resolver.js';
import { ImageMap } from './image-map.js';
import { KubeApi, sleep } from './kube-api.js';
import { KubeletServer } from './kubelet-server.js';
import { errMsg, log } from './log.js';
import { NodeRegistration } from './node-registration.js';
import { PodManager } from './pod-manager.js';
import { PvcProvisioner } from './pvc-provisioner.js';
import { ServiceHosts } from './service-hosts.js';
import { StateStore } from './state-store.js';
import { VolumeManager } from './volumes.js';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const nodeApi = new KubeApi(cfg.nodeKubeconfig);
  const addonApi = new KubeApi(cfg.addonKubeconfig);
  const node = { cpu: os.cpus().length, memory: os.totalmem() };
  const reader = new ObjectReader(nodeApi);
  const deps = {
    api: nodeApi,
    cfg,
    images: new ImageMap({ REPO: cfg.repoRoot, STACK_DIR: cfg.stackDir }),
    reader,
    volumes: new VolumeManager(nodeApi, reader, cfg.dataDir, node),
    state: new StateStore(cfg.dataDir),
    node,
  };

  const registration = new NodeRegistration(nodeApi, cfg);
  for (let attempt = 0; ; attempt++) {
    try {
      await registration.register();
      break;
    } catch (err) {
      if (attempt >= 30) throw err;
      log('node registration failed, retrying', { err: errMsg(err) });
      await sleep(2000);
    }
  }
  const pods = new PodManager(deps);
  const server = new KubeletServer(cfg, pods, nodeApi);
  await server.start();
  const hosts = new ServiceHosts(addonApi, cfg);
  hosts.start();
  const pvcs = new PvcProvisioner(addonApi, cfg);
  pvcs.start();
  pods.start();
  log('node agent running', { node: cfg.nodeName, port: cfg.port, data: cfg.dataDir });

  let stopping = false;
  const shutdown = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('shutting down', { signal: sig });
    const hard = setTimeout(() => process.exit(0), 15_000);
    hard.unref();
    registration.stop();
    pvcs.stop();
    hosts.stop();
    server.stop();
    await pods.shutdown(5);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  log('node agent failed', { err: errMsg(err) });
  process.exit(1);
});
