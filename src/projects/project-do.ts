import { DurableObject } from "cloudflare:workers";
export class ProjectDO extends DurableObject<Env> {}
