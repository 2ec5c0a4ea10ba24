/** The shell: sign-in, the navigation of each role, and the hash routes to the screens. */
import { useEffect, useRef, useState, type ReactNode } from "react";
import { DEMO_USERS, devToken, type DemoRole } from "./api/dev";
import { ErrorNotice } from "./components/common";
import { Admin } from "./screens/admin/Admin";
import { BookSession } from "./screens/client/BookSession";
import { FindTherapist } from "./screens/client/FindTherapist";
import { SessionDetails } from "./screens/SessionDetails";
import { NewEnquiries, OwnSessions } from "./screens/SessionLists";
import { Agenda } from "./screens/therapist/Agenda";
import { Availability } from "./screens/therapist/Availability";
import { Calendars } from "./screens/therapist/Calendars";
import { Standing } from "./screens/therapist/Standing";
import { useApp } from "./state";

const NAVIGATION: Record<DemoRole, [string, string][]> = {
  therapist: [
    ["/", "New enquiries"],
    ["/sessions", "Sessions"],
    ["/calendar", "Calendar"],
    ["/availability", "Availability"],
    ["/calendars", "Calendar connection"],
    ["/standing", "Standing"],
  ],
  client: [
    ["/", "Find a therapist"],
    ["/sessions", "My sessions"],
  ],
  admin: [["/", "Administration"]],
};

function SignIn() {
  const { signIn } = useApp();
  const [error, setError] = useState<Error | null>(null);
  return (
    <main id="main">
      <h1>Sign in</h1>
      <p>The local stack's demo users (tokens from its /dev/token route):</p>
      <ul className="sign-in">
        {(Object.keys(DEMO_USERS) as DemoRole[]).map((role) => (
          <li key={role}>
            <button
              type="button"
              onClick={() => {
                setError(null);
                devToken(DEMO_USERS[role].sub, role)
                  .then((token) => signIn({ token, role, sub: DEMO_USERS[role].sub }))
                  .catch((failure: unknown) => setError(failure instanceof Error ? failure : new Error(String(failure))));
              }}
            >
              Sign in as {DEMO_USERS[role].label}
            </button>
          </li>
        ))}
      </ul>
      <ErrorNotice error={error} />
    </main>
  );
}

function screen(role: DemoRole, route: string): ReactNode {
  const [, first, second] = route.split("/");
  if (first === "sessions" && second) return <SessionDetails key={second} sessionId={decodeURIComponent(second)} />;
  if (role === "therapist") {
    switch (first) {
      case "":
        return <NewEnquiries />;
      case "sessions":
        return <OwnSessions title="Sessions" />;
      case "calendar":
        return <Agenda />;
      case "availability":
        return <Availability />;
      case "calendars":
        return <Calendars />;
      case "standing":
        return <Standing />;
    }
  }
  if (role === "client") {
    if (first === "therapists" && second) return <BookSession key={second} therapistId={decodeURIComponent(second)} />;
    if (first === "" || first === "therapists") return <FindTherapist />;
    if (first === "sessions") return <OwnSessions title="My sessions" />;
  }
  if (role === "admin" && first === "") return <Admin />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no such page. <a href="#/">Go to the start</a>.
      </p>
    </>
  );
}

export function App() {
  const { user, route, signOut } = useApp();
  const shownRoute = useRef(route);
  useEffect(() => {
    // A new screen: move focus to it, so keyboard and screen-reader users start at its content.
    if (shownRoute.current !== route) document.getElementById("main")?.focus();
    shownRoute.current = route;
  }, [route]);
  if (!user) return <SignIn />;
  const current = `/${route.split("/")[1] ?? ""}`;
  return (
    <>
      <a className="skip" href="#main" onClick={(event) => { event.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header>
        <nav aria-label="Main">
          <ul>
            {NAVIGATION[user.role].map(([path, label]) => (
              <li key={path}>
                <a href={`#${path}`} aria-current={current === path ? "page" : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p className="who">
          Signed in as {DEMO_USERS[user.role].label}{" "}
          <button type="button" className="secondary" onClick={signOut}>
            Sign out
          </button>
        </p>
      </header>
      <main id="main" tabIndex={-1}>
        {screen(user.role, route)}
      </main>
    </>
  );
}
