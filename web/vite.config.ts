import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the local stack at /app (docs/web.md): one origin with the API, so no CORS.
export default defineConfig({
  base: "/app/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
});
