/** The scheduled-digest jobs API (/api/jobs). */
import { Hono } from "hono";
import type { Env } from "../env";

export const jobsRoutes = new Hono<{ Bindings: Env }>();
