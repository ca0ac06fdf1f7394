// Argument parsers shared by the commands: a bad value is reported by commander with the option's name.
import { InvalidArgumentError } from 'commander';

export function integerArg(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

export function numberArg(min: number, max = Infinity): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a number from ${min}${Number.isFinite(max) ? ` to ${max}` : ' up'}`);
    }
    return n;
  };
}

export function choiceArg<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of: ${choices.join(', ')}`);
    return value as T;
  };
}
