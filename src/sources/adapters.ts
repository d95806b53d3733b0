import type { ResolvedSourceConfig } from './config.js';
import { createCustomAdapter } from './custom.js';
import { createEpaycoAdapter } from './epayco.js';
import { createMercadopagoAdapter } from './mercadopago.js';
import type { SourceAdapter } from './source.js';
import { createStripeAdapter } from './stripe.js';

/** The adapter for one validated source configuration. */
export function createSourceAdapter(config: ResolvedSourceConfig): SourceAdapter {
  switch (config.kind) {
    case 'epayco':
      return createEpaycoAdapter(config);
    case 'mercadopago':
      return createMercadopagoAdapter(config);
    case 'stripe':
      return createStripeAdapter(config);
    case 'custom':
      return createCustomAdapter(config);
  }
}
