/** The local stack's development routes (API.md, "Local stack"): sign-in tokens and its movable clock.
 * They are not in the OpenAPI document: a deployment has neither. */

export type DemoRole = "therapist" | "client" | "admin";

export const DEMO_USERS: Record<DemoRole, { sub: string; label: string }> = {
  therapist: { sub: "demo-therapist", label: "Dr Demo Therapist (therapist)" },
  client: { sub: "demo-client", label: "Demo Client (client)" },
  admin: { sub: "demo-admin", label: "Demo Admin (admin)" },
};

export async function devToken(sub: string, role: DemoRole): Promise<string> {
  const reply = await fetch("/dev/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub, role, expires_in: 24 * 3600 }),
  });
  if (!reply.ok) {
    throw new Error("Signing in needs the local stack's /dev/token; a deployment signs in through its user pool.");
  }
  const body: { token: string } = await reply.json();
  return body.token;
}

/** The stack's clock (it may have been moved on for a demo); null where there is none (a deployment). */
export async function devNow(): Promise<Date | null> {
  try {
    const reply = await fetch("/dev/clock");
    if (!reply.ok) return null;
    const body: { now: string } = await reply.json();
    return new Date(body.now);
  } catch {
    return null;
  }
}
