/** A problem with what the user asked for (a flag, a file, a stack): printed as is, exit code 2. */
export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompareError";
  }
}
