// The floors of src/ (docs/architecture.md, "Development"): each folder imports only from the floors
// below it — never from one above, never from a sibling on its own floor — and no file is in an
// import circle. `npm run lint:deps` checks it; .ci/run runs it.
const FLOORS = [
  ["kernel"],
  ["auth", "flags"],
  ["events", "outbound"],
  ["deliveries"],
  ["projects", "webhooks"],
  ["sdk-keys"],
  ["serve"],
  ["dashboard", "docs.ts"],
  ["app.ts"],
  ["index.ts"],
];

const path = (part) => `^src/${part.replace(/\./g, "\\.")}${part.endsWith(".ts") ? "$" : "/"}`;
const floorRules = FLOORS.flatMap((floor, level) =>
  floor.flatMap((part) => {
    const above = FLOORS.slice(level)
      .flat()
      .filter((other) => other !== part);
    if (above.length === 0) return [];
    return {
      name: `floor-${part}`,
      comment: `${part} stands on floor ${level}: it may import only from the floors below it`,
      severity: "error",
      from: { path: path(part) },
      to: { path: above.map(path) },
    };
  }),
);

module.exports = {
  forbidden: [
    ...floorRules,
    {
      name: "no-circular",
      comment: "files that import each other in a circle: one of them holds a piece that belongs lower",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "dashboard-shell-imports-no-area",
      comment: "the dashboard's shell (frame, session, API client) serves every area and depends on none",
      severity: "error",
      from: { path: "^src/dashboard/shell/" },
      to: { path: "^src/dashboard/(flags|webhooks|keys)/" },
    },
    {
      name: "src-imports-no-tests",
      comment: "production code never reaches into test/ (test-only routes live there)",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^test/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(node_modules|test/generated)" },
  },
};
