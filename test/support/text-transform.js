/** Jest transform: a .lua file imports as its source text, as esbuild's text loader does for deploys. */
module.exports = {
  process(source) {
    return { code: `module.exports = ${JSON.stringify(source)};` };
  },
};
