/** The API client, typed from the OpenAPI document (schema.d.ts is generated: `make web-client`). */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Session = Schemas["SessionResponse"];
export type Money = Schemas["MoneyBody"];
export type Problem = Schemas["Problem"];
export type SessionStatus = Schemas["SessionStatus"];
export type SessionType = Schemas["SessionType"];

/** A refused request, carrying the problem details the API answered with. */
export class ProblemError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
  }

  static of(body: unknown, status: number): ProblemError {
    if (body && typeof body === "object" && "detail" in body && typeof body.detail === "string") {
      const code = "code" in body && typeof body.code === "string" ? body.code : "error";
      return new ProblemError(status, code, body.detail);
    }
    if (status === 401) {
      return new ProblemError(401, "unauthorized", "Your sign-in has expired or is not valid: sign in again.");
    }
    if (status === 429) {
      return new ProblemError(429, "throttled", "Too many requests just now: try again in a moment.");
    }
    return new ProblemError(status, "error", `The request failed (HTTP ${status}). Try again in a moment.`);
  }
}

let bearer: string | null = null;

export function useToken(token: string | null): void {
  bearer = token;
}

const authorization: Middleware = {
  onRequest({ request }) {
    if (bearer) request.headers.set("Authorization", `Bearer ${bearer}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(authorization);

/** The answer's body, or a ProblemError for anything but 2xx (network failures become one too). */
export async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw new ProblemError(0, "network", "The service could not be reached: check your connection and try again.");
  }
  if (!result.response.ok) throw ProblemError.of(result.error, result.response.status);
  return result.data as T;
}
