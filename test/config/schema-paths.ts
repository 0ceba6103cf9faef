// The settings paths of the schema, shared by the checks of the example file and of the
// configuration reference (docs/configuration.md).
export interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  /** A union's branches (the provider: one object per type). */
  options?: Array<{ _zod: { def: Def } }>;
}

/**
 * Every settings path of the schema's fixed objects (records and routes are maps: their
 * values' keys are checked per example entry). A union (provider.type) contributes every
 * branch's settings, once each (`intoUnion` may keep it a single setting instead); a
 * preprocessed value its schema's.
 */
export function schemaPaths(def: Def, prefix: string[], out: string[], intoUnion: (path: string) => boolean = () => true): string[] {
  const walk = (inner: Def, at: string[]) => schemaPaths(inner, at, out, intoUnion);
  if (def.type === 'default' || def.type === 'optional') return walk(def.innerType!._zod.def, prefix);
  if (def.type === 'pipe') {
    const pipe = def as unknown as { in: { _zod: { def: Def } }; out: { _zod: { def: Def } } };
    // z.preprocess: a transform in, the schema out.
    return walk((pipe.in._zod.def.type === 'transform' ? pipe.out : pipe.in)._zod.def, prefix);
  }
  if (def.type === 'union' && def.options && intoUnion(prefix.join('.'))) {
    for (const option of def.options) walk(option._zod.def, prefix);
    return out;
  }
  if (def.type === 'object' && def.shape) {
    for (const [key, value] of Object.entries(def.shape)) {
      const path = [...prefix, key].join('.');
      if (!out.includes(path)) out.push(path);
      walk(value._zod.def, [...prefix, key]);
    }
  }
  return out;
}
