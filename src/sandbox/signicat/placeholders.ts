// The placeholders Signicat replaces in notification headers and messages (seed: "Placeholders
// in notification messages"): task notifications know ${taskUrl}, ${signCode},
// ${signCodeUrl}, ${orderId} and ${clientRef}; signing-order notifications only the order's
// two; packaging-task notifications none. An unknown placeholder is left as written
// (unconfirmed), so a typo shows in the mail instead of vanishing.

export type PlaceholderValues = Record<string, string>;

export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text.replace(/\$\{([A-Za-z]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

export function orderPlaceholders(order: { id: string; clientReference?: string }): PlaceholderValues {
  return { orderId: order.id, clientRef: order.clientReference ?? '' };
}

export function taskPlaceholders(order: { id: string; clientReference?: string }, task: { signingUrl: string; signCode: string; signCodeUrl: string }): PlaceholderValues {
  return { ...orderPlaceholders(order), taskUrl: task.signingUrl, signCode: task.signCode, signCodeUrl: task.signCodeUrl };
}
