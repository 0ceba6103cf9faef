import type { Config } from '../config/schema.ts';
import type { RequestRow } from '../store/requests.ts';

/** How a request's record gets its documents and notes: its route's `delivery`, else `servicenow.delivery`. */
export function deliveryModeOf(config: Config, request: RequestRow): 'rest' | 'email' {
  return config.routes[request.route]?.delivery ?? config.servicenow.delivery;
}
