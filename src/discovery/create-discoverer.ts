/**
 * The provider for each kind of SD config: the factory DiscoveryManager uses by default.
 * @module
 */
import { assertNever } from '../model/index.js';
import { ConsulDiscoverer } from './consul-discoverer.js';
import type { Discoverer } from './discoverer.js';
import { DnsDiscoverer } from './dns-discoverer.js';
import { FileDiscoverer } from './file-discoverer.js';
import { KubernetesDiscoverer } from './kubernetes-discoverer.js';
import type { SDConfig } from './sd-config.js';
import { StaticDiscoverer } from './static-discoverer.js';

/** createDiscoverer returns the provider for one SD config; `onError` receives its non-fatal errors. */
export function createDiscoverer(config: SDConfig, onError: (err: Error) => void = () => {}): Discoverer {
  switch (config.kind) {
    case 'static':
      return new StaticDiscoverer({ groups: config.groups });
    case 'file':
      return new FileDiscoverer({ config, onError });
    case 'dns':
      return new DnsDiscoverer({ config, onError });
    case 'kubernetes':
      return new KubernetesDiscoverer({ config, onError });
    case 'consul':
      return new ConsulDiscoverer({ config, onError });
    default:
      return assertNever(config, 'SD config');
  }
}
