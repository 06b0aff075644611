/** Lua scripts are imported as their source text (esbuild's text loader; see lua-loader.ts). */
declare module '*.lua' {
  const source: string;
  export default source;
}
