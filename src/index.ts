import { app } from "./app";
export { ProjectDO } from "./projects/project-do";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
