// The settings paths of the schema, shared by the checks of the example file and the README.
export interface Def { type: string; shape?: Record<string, { _zod: { def: Def } }>; innerType?: { _zod: { def: Def } } }

/** Every settings path of the schema's fixed objects (records and routes are maps: their values' keys are checked per example entry). */
export function schemaPaths(def: Def, prefix: string[], out: string[]): string[] {
  if (def.type === 'default' || def.type === 'optional' || def.type === 'pipe') {
    const inner = def.innerType ?? (def as unknown as { in: { _zod: { def: Def } } }).in;
    return schemaPaths(inner._zod.def, prefix, out);
  }
  if (def.type === 'object' && def.shape) {
    for (const [key, value] of Object.entries(def.shape)) {
      out.push([...prefix, key].join('.'));
      schemaPaths(value._zod.def, [...prefix, key], out);
    }
  }
  return out;
}
