// An HTTP error answer that is not the service's own: a 4xx whose body is not the error
// shape the API answers with (ServiceNow's `{"error":…}`, Secured Signing's ServiceStack
// `ResponseStatus`, Signicat's problem JSON) came from something in front of it — a
// proxy's or firewall's block page, a load balancer's 404, a WAF's 400 or 418. It says
// nothing about the request or the document: taken as the API's word, an nginx 404 to a
// DELETE was "withdrawn already" while the signers could still sign (fuzz review M1), and a
// WAF's 418 failed a signed delivery for good (L1). The work waits for the operator, as for
// a setting, and is tried again. Nothing reached the API: the call was not carried out.
// Pure; shared by the three services' classifiers.
import { SignrelayError } from '../errors.ts';
import { jsonObject } from './json-fields.ts';
import { answerMediaType, type ServiceNames } from './network-failure.ts';

export interface NotTheApiWords {
  /** How the API answers its refusals: "in JSON", "with a ServiceStack ResponseStatus". */
  apiAnswers: string;
  /** Besides a proxy, firewall or load balancer, what else may answer ("the instance's IP address access control"). */
  alsoAnswering?: string;
}

/** "with an HTML page", "with an empty body", "with a JSON body that is not …'s error": what came instead. */
function whatCame(failure: { headers: { get(name: string): string | null }; bodyText: string }, service: string): string {
  if (failure.bodyText.trim() === '') return 'with an empty body';
  const type = answerMediaType(failure.headers.get('content-type'));
  if (jsonObject(failure.bodyText)) return `with a JSON body that is not ${service}'s error`;
  if (type === 'text/html') return 'with an HTML page';
  return `with a body that is not JSON${type ? ` (${type})` : ''}`;
}

export function notTheApi(
  names: ServiceNames, operation: string,
  failure: { status: number; headers: { get(name: string): string | null }; bodyText: string }, words: NotTheApiWords,
): SignrelayError {
  const also = words.alsoAnswering ? `, ${words.alsoAnswering}` : '';
  return new SignrelayError('config', `${names.codePrefix}_not_the_api`,
    `the answer to ${operation} was HTTP ${failure.status} ${whatCame(failure, names.service)}, not ${names.service}'s API, which answers ${words.apiAnswers}: ` +
    `something between signrelay and ${names.urlSetting} answered (a proxy or firewall blocking the address, a load balancer${also}); ` +
    `check that this host can reach ${names.service}'s API. The work waits and is tried again`);
}
