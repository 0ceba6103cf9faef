// How the simulated instance writes a notification's subject and body for a record, as
// ServiceNow does: `${field}` and dot-walked `${field.subfield}` become the record's values
// as they are (the instance escapes nothing in a text/plain mail — which is why the shipped
// update set writes its Signer lines with a mail script), `${mail_script:NAME}` runs that
// mail script, `${watermark}` is the record's watermark, and without one in the body the
// watermark is added at the end unless the notification omits it. Mail scripts are the
// update set's own JavaScript, run in a fresh context (glide-sandbox.ts) with the few Glide
// calls they use (current.isValidField/getValue/getElement, template.print): the script
// tested is the one an admin imports, not a copy of it.
import { runGlideScript } from './glide-sandbox.ts';
import type { NotificationDefinition } from './update-set.ts';

/** A record's values by field name; dot-walked values under `field.subfield` (e.g. requested_for.email). */
export type RecordValues = Record<string, string>;

export interface RenderContext {
  values: RecordValues;
  mailScripts: ReadonlyMap<string, string>;
  /** Issues the record's watermark, `Ref:MSG…`. */
  watermark(): string;
}

const VARIABLE = /\$\{\s*([^}]*?)\s*\}/g;

/** A record's values as a script or notification sees them: its fields (dot-walked ones included), number, sys_id, class. */
export function recordValuesOf(record: { fields: Record<string, string>; number: string; sysId: string; sysClassName: string }): RecordValues {
  return { ...record.fields, number: record.number, sys_id: record.sysId, sys_class_name: record.sysClassName };
}

/** Runs a sys_script_email script for the record; returns what it printed. */
export function runMailScript(script: string, values: RecordValues): string {
  return String(runGlideScript(script, { values }, '__printed'));
}

function substitute(text: string, context: RenderContext, allowScripts: boolean): { text: string; watermarked: boolean } {
  let watermarked = false;
  const out = text.replace(VARIABLE, (_whole, name: string) => {
    if (name === 'watermark') {
      watermarked = true;
      return context.watermark();
    }
    const script = /^mail_script:(.+)$/.exec(name);
    if (script) {
      const source = allowScripts ? context.mailScripts.get(script[1]!) : undefined;
      if (source === undefined) throw new Error(`the notification uses the mail script ${script[1]}, which the update set does not hold`);
      return runMailScript(source, context.values).replace(/\n$/, '');
    }
    return context.values[name] ?? '';
  });
  return { text: out, watermarked };
}

export function renderNotification(definition: NotificationDefinition, context: RenderContext): { subject: string; text: string } {
  const subject = substitute(definition.subject, context, false).text;
  const body = substitute(definition.text, context, true);
  const text = body.watermarked || definition.omitWatermark ? body.text : `${body.text}\n\n${context.watermark()}`;
  return { subject, text: text.endsWith('\n') ? text : `${text}\n` };
}
