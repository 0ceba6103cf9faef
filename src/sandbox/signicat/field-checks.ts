// Reading an untrusted JSON body field by field while collecting every problem with its
// property path (`tasks[0].documents[1].documentRef`), the way a bean-validation service
// answers. Messages follow Jakarta Bean Validation's defaults ("must not be blank",
// "size must be between 1 and 255"); Signicat's exact wording is unconfirmed.
import type { Violation } from './problems.ts';

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

export class FieldChecks {
  readonly violations: Violation[] = [];

  add(propertyPath: string, message: string): void {
    this.violations.push({ propertyPath, message });
  }

  /** A string field; `required` refuses null/absent and blank. */
  string(o: Json, key: string, path: string, rule: { required?: boolean; min?: number; max?: number } = {}): string | undefined {
    const value = o[key];
    const at = `${path}${key}`;
    if (value === undefined || value === null) {
      if (rule.required) this.add(at, 'must not be null');
      return undefined;
    }
    if (typeof value !== 'string') return this.refuse(at, 'must be a string');
    if (rule.required && value.trim() === '') return this.refuse(at, 'must not be blank');
    const { min, max } = rule;
    if ((min !== undefined && value.length < min) || (max !== undefined && value.length > max)) {
      return this.refuse(at, `size must be between ${min ?? 0} and ${max ?? 2147483647}`);
    }
    return value;
  }

  /** An enum field: one of `values`, spelled exactly (the API's enums are upper case). */
  oneOf<T extends string>(o: Json, key: string, path: string, values: readonly T[], required: boolean): T | undefined {
    const value = this.string(o, key, path, { required });
    if (value === undefined || value.trim() === '') return undefined;
    if (!(values as readonly string[]).includes(value)) return this.refuse(`${path}${key}`, `must be one of [${values.join(', ')}]`);
    return value as T;
  }

  /** An array field; `min: 1` refuses an absent or empty one ("must not be empty"). */
  array(o: Json, key: string, path: string, rule: { min?: number } = {}): unknown[] {
    const value = o[key];
    const at = `${path}${key}`;
    if (value === undefined || value === null) {
      if (rule.min) this.add(at, 'must not be empty');
      return [];
    }
    if (!Array.isArray(value)) return this.refuse(at, 'must be an array') ?? [];
    if (rule.min && value.length < rule.min) this.add(at, 'must not be empty');
    return value;
  }

  /** The objects of an array field, each with its own path prefix (`tasks[0].`). */
  objects(o: Json, key: string, path: string, rule: { min?: number } = {}): Array<{ item: Json; at: string }> {
    const found: Array<{ item: Json; at: string }> = [];
    this.array(o, key, path, rule).forEach((item, i) => {
      if (isObject(item)) found.push({ item, at: `${path}${key}[${i}].` });
      else this.add(`${path}${key}[${i}]`, 'must be an object');
    });
    return found;
  }

  integer(o: Json, key: string, path: string, rule: { min?: number; max?: number } = {}): number | undefined {
    const value = o[key];
    const at = `${path}${key}`;
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.refuse(at, 'must be an integer');
    const { min, max } = rule;
    if (min !== undefined && max !== undefined && (value < min || value > max)) return this.refuse(at, `must be between ${min} and ${max}`);
    if (min !== undefined && value < min) return this.refuse(at, `must be greater than or equal to ${min}`);
    return value;
  }

  boolean(o: Json, key: string, path: string): boolean {
    const value = o[key];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') this.add(`${path}${key}`, 'must be a boolean');
    return value === true;
  }

  /** An absolute http(s) URL (redirects and URL notifications). */
  url(o: Json, key: string, path: string, required = false): string | undefined {
    const value = this.string(o, key, path, { required });
    if (value === undefined || value.trim() === '') return undefined;
    if (!/^https?:\/\/[^\s/]+/i.test(value) || !URL.canParse(value)) return this.refuse(`${path}${key}`, 'must be a valid URL');
    return value;
  }

  private refuse(propertyPath: string, message: string): undefined {
    this.add(propertyPath, message);
    return undefined;
  }
}
