// Leaves in node_modules only what the bundles load at run time: the packages the service's
// bundle script keeps --external (esbuild bundled everything else into dist/) and what they
// depend on, found with `npm query`; then drops type declarations and source maps. Run by
// service/Dockerfile in the installed tree; plain Node, because the base image has no `find`.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const bundle = require(path.resolve("service/package.json")).scripts.bundle;
const externals = (bundle.match(/--external:\S+/g) ?? []).map((flag) => flag.slice("--external:".length).replace(/'/g, ""));
if (externals.length === 0) throw new Error(`service/package.json "bundle": no --external: flags in ${JSON.stringify(bundle)}`);

// "@aws-sdk/*" is a scope; anything else names one package.
const roots = externals.map((e) => (e.endsWith("/*") ? `[name^="${e.slice(0, -1)}"]` : `[name="${e}"]`));
const selector = roots.flatMap((root) => [root, `${root} *`]).join(", ");
const keep = new Set(JSON.parse(execFileSync("npm", ["query", selector], { encoding: "utf8" })).map((p) => p.location));

for (const entry of fs.readdirSync("node_modules")) {
  const names = entry.startsWith("@") ? fs.readdirSync(path.join("node_modules", entry)).map((n) => `${entry}/${n}`) : [entry];
  for (const name of names) {
    const location = `node_modules/${name}`;
    if (name === ".bin" || (!name.startsWith(".") && !keep.has(location))) fs.rmSync(location, { recursive: true, force: true });
  }
  if (entry.startsWith("@") && fs.readdirSync(path.join("node_modules", entry)).length === 0) fs.rmdirSync(path.join("node_modules", entry));
}

const unused = /(\.d\.[cm]?ts|\.map)$/;
for (const file of fs.readdirSync("node_modules", { recursive: true, withFileTypes: true })) {
  if (file.isFile() && unused.test(file.name)) fs.rmSync(path.join(file.parentPath, file.name));
}
