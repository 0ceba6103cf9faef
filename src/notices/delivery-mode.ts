import type { Config } from '../config/schema.ts';

/** How a record gets a route's documents and notes: the route's `delivery`, else `servicenow.delivery`. */
export function deliveryModeOf(config: Config, route: string): 'rest' | 'email' {
  return config.routes[route]?.delivery ?? config.servicenow.delivery;
}
