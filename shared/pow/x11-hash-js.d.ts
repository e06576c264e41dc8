/** Types for the pure-JS X11 (devDependency, MIT) used as an independent reference. */
declare module "@dashevo/x11-hash-js" {
  interface X11HashJs {
    /** inputFormat 1 = byte array; outputFormat 1 = byte array. Call as a method (uses `this`). */
    digest(input: number[], inputFormat: 1, outputFormat: 1): number[];
  }
  const x11: X11HashJs;
  export default x11;
}
