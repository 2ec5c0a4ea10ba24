/** What every screen shares: who is signed in, where we are (the hash route), and the service's clock. */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { ProblemError, useToken } from "./api/client";
import { devNow, type DemoRole } from "./api/dev";

export interface SignedIn {
  token: string;
  role: DemoRole;
  sub: string;
}

const STORAGE_KEY = "therapy-booking-sign-in";

function stored(): SignedIn | null {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as SignedIn;
  } catch {
    return null;
  }
}

interface AppState {
  user: SignedIn | null;
  signIn: (user: SignedIn) => void;
  signOut: () => void;
  route: string;
  navigate: (route: string) => void;
  now: Date;
  refreshClock: () => Promise<void>;
}

const State = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(State);
  if (!state) throw new Error("useApp outside AppStateProvider");
  return state;
}

function currentRoute(): string {
  return window.location.hash.replace(/^#/, "") || "/";
}

export function AppStateProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SignedIn | null>(() => {
    const found = stored();
    useToken(found?.token ?? null);
    return found;
  });
  const [route, setRoute] = useState(currentRoute);
  const [offset, setOffset] = useState(0);
  const [tick, setTick] = useState(() => Date.now());

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const refreshClock = useCallback(async () => {
    const server = await devNow();
    setOffset(server ? server.getTime() - Date.now() : 0);
    setTick(Date.now());
  }, []);

  useEffect(() => {
    void refreshClock();
    const every = window.setInterval(() => setTick(Date.now()), 1000);
    const resync = window.setInterval(() => void refreshClock(), 15000);
    return () => {
      window.clearInterval(every);
      window.clearInterval(resync);
    };
  }, [refreshClock]);

  const signIn = useCallback((signed: SignedIn) => {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(signed));
    useToken(signed.token);
    setUser(signed);
    window.location.hash = "#/";
  }, []);

  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    useToken(null);
    setUser(null);
    window.location.hash = "#/";
  }, []);

  const navigate = useCallback((to: string) => {
    window.location.hash = `#${to}`;
  }, []);

  const value: AppState = { user, signIn, signOut, route, navigate, now: new Date(tick + offset), refreshClock };
  return <State.Provider value={value}>{children}</State.Provider>;
}

/** Loads what a screen shows; `reload` after a change. Errors are kept for the screen to show. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): {
  data: T | undefined;
  error: Error | null;
  loading: boolean;
  reload: () => void;
} {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load()
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(null);
      })
      .catch((failure: unknown) => {
        if (!live) return;
        setError(failure instanceof Error ? failure : new ProblemError(0, "error", String(failure)));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  return { data, error, loading, reload: () => setGeneration((g) => g + 1) };
}
