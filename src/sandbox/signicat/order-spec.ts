// What a create-order request means once it has passed validation (validate-order.ts):
// the parts of Signicat's SigningOrder the simulator acts on. Field names follow the
// Sign API (SDK: SigningOrderCreateOptions, SignatureTask, TaskDocument, TaskNotification,
// PackagingTask); everything else in the request is kept only to be echoed back.

export const TASK_STATUSES = ['CREATED', 'COMPLETED', 'REJECTED', 'EXPIRED', 'DELETED'] as const;
export type TaskStatus = typeof TASK_STATUSES[number];

export const TASK_TRIGGERS = ['CREATED', 'COMPLETED', 'REJECTED', 'EXPIRED', 'FORWARDED', 'STARTED'] as const;
export const PACKAGING_TRIGGERS = ['CREATED', 'COMPLETED'] as const;
export const NOTIFICATION_TYPES = ['EMAIL', 'SMS', 'URL'] as const;
export type NotificationType = typeof NOTIFICATION_TYPES[number];
export const DOCUMENT_ACTIONS = ['SIGN', 'VIEW', 'UPLOAD'] as const;
export const DOCUMENT_SOURCES = ['SESSION', 'UPLOAD'] as const;
export const SIGNATURE_METHOD_TYPES = ['AUTHENTICATION_BASED', 'SIGNED_STATEMENT', 'THIRD_PARTY'] as const;
export const PACKAGING_METHODS = ['pades'] as const;
/** The seed's list of signing-interface languages. */
export const LANGUAGES = ['ca', 'da', 'nl', 'en', 'et', 'fo', 'fi', 'fr', 'de', 'kl', 'it', 'nb', 'nn', 'es', 'sv'] as const;

/** Unconfirmed defaults for a task without daysToLive (or 0) and an order without daysUntilDeletion. */
export const DEFAULT_DAYS_TO_LIVE = 30;
export const DEFAULT_DAYS_UNTIL_DELETION = 30;

export interface ScheduleSpec {
  trigger: string;
  delayMs: number;
}

export interface NotificationSpec {
  id: string;
  type: NotificationType;
  recipient: string;
  sender?: string;
  header?: string;
  message: string;
  /** Empty for order-level notifications (sent when every task is completed). */
  schedule: ScheduleSpec[];
}

export interface DocumentSpec {
  id: string;
  action: typeof DOCUMENT_ACTIONS[number];
  source: typeof DOCUMENT_SOURCES[number];
  documentRef?: string;
  description?: string;
  sendResultToArchive: boolean;
}

export interface TaskSpec {
  id: string;
  documents: DocumentSpec[];
  dependsOn: string[];
  notifications: NotificationSpec[];
  daysToLive: number;
  /** subject.id, when the task names its signer. */
  subjectId?: string;
}

export interface PackagingSpec {
  id: string;
  method: string;
  sendToArchive: boolean;
  parts: Array<{ taskId: string; documentIds: string[] }>;
  notifications: NotificationSpec[];
}

export interface OrderSpec {
  clientReference?: string;
  daysUntilDeletion: number;
  tasks: TaskSpec[];
  packagingTasks: PackagingSpec[];
  notifications: NotificationSpec[];
}
