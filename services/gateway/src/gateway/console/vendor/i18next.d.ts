// The vendored module's types for the console's type check: those its npm package ships, at the
// same locked version (clients/typescript/package-lock.json).
export { default } from "i18next";
export * from "i18next";
