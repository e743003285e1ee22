// express4 and koa2 are npm aliases (express@4, koa@2) so the conformance table also runs on the
// older majors the peer ranges allow; they are typed as the current majors.
declare module 'express4' {
  import express from 'express'
  export default express
}
declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}
