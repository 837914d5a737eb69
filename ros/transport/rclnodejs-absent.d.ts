/**
 * What the type checker reads for `rclnodejs` where the package is not installed (it builds only
 * against a sourced ROS 2; tsconfig `paths` falls back to this file). Where it is installed, the
 * package's own declarations — with the message interfaces generated from the sourced ROS 2 —
 * are used instead and check `rclnodejs.ts` for real (CI builds it and runs the type checker).
 * Only the part the transport uses, loosely: names are plain strings here.
 */
export type MessageTypeClassName = string;
export type ServiceTypeClassName = string;
export type MessageType<_T> = object;
export type ServiceRequestMessage<_T> = object;
export type ServiceResponseMessage<_T> = object;
export declare const enum ParameterType {
  PARAMETER_NOT_SET = 0,
}

interface Entity {
  readonly __entity: unique symbol;
}
export interface Client<_T> extends Entity {
  waitForService(timeout?: number): Promise<boolean>;
  sendRequestAsync(request: object, options?: { timeout?: number }): Promise<unknown>;
}
interface Publisher extends Entity {
  publish(message: object): void;
}
interface ServiceResponse {
  send(response: object): void;
}
interface Logging {
  info(message: string): boolean;
  warn(message: string): boolean;
  error(message: string): boolean;
}
interface Time {
  readonly secondsAndNanoseconds: { seconds: bigint; nanoseconds: bigint };
}

export declare class QoS {
  constructor(history?: number, depth?: number, reliability?: number, durability?: number);
  static HistoryPolicy: { RMW_QOS_POLICY_HISTORY_KEEP_LAST: number };
  static ReliabilityPolicy: { RMW_QOS_POLICY_RELIABILITY_RELIABLE: number; RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: number };
  static DurabilityPolicy: { RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number; RMW_QOS_POLICY_DURABILITY_VOLATILE: number };
}
export declare class Context {
  static defaultContext(): Context;
}
export declare class Parameter {
  constructor(name: string, type: ParameterType, value?: unknown);
  readonly value: unknown;
}
export declare class ParameterDescriptor {
  constructor(name: string, type?: ParameterType, description?: string);
}
export declare class Node {
  constructor(nodeName: string, namespace?: string);
  getLogger(): Logging;
  getClock(): { now(): Time };
  spin(): void;
  destroy(): void;
  createSubscription(typeClass: string, topic: string, options: object, callback: (message: unknown) => void): Entity;
  destroySubscription(subscription: Entity): void;
  createPublisher(typeClass: string, topic: string, options?: object): Publisher;
  destroyPublisher(publisher: Publisher): void;
  createService(typeClass: string, serviceName: string, callback: (request: unknown, response: ServiceResponse) => void): Entity;
  destroyService(service: Entity): void;
  createClient<T>(typeClass: T, serviceName: string): Client<T>;
  destroyClient<T>(client: Client<T>): void;
  declareParameter(parameter: Parameter, descriptor?: ParameterDescriptor, ignoreOverride?: boolean): Parameter;
  // graph queries (the real-graph tests' probe)
  getTopicNamesAndTypes(): { name: string; types: string[] }[];
  getServiceNamesAndTypes(): { name: string; types: string[] }[];
  getNodeNames(): string[];
  getServiceNamesAndTypesByNode(nodeName: string, namespace?: string): { name: string; types: string[] }[];
  countPublishers(topic: string): number;
  countSubscribers(topic: string): number;
}
export declare function init(context?: Context, argv?: string[]): Promise<void>;
export declare function removeSignalHandlers(): void;
export declare function shutdown(context?: Context): void;
