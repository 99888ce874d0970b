/** Routes that serve the embeddable widget and its demo page. */
import { Hono } from "hono";
import type { Env } from "../env";

export const widgetRoutes = new Hono<{ Bindings: Env }>();
