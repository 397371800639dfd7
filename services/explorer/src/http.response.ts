/**
 * The part of Express's response the explorer uses (Nest runs on Express here; @types/express is
 * not installed, and these few members are all the handlers touch).
 */
export interface HttpResponse {
  readonly headersSent: boolean;
  status(code: number): HttpResponse;
  type(contentType: string): HttpResponse;
  set(field: string, value: string): HttpResponse;
  send(body: string | Buffer): void;
  end(): void;
}
