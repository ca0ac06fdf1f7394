// Argument parsers shared by the commands: a bad value is reported by commander with the option's name.
import { InvalidArgumentError } from 'commander';
import { checkNormaliseRule } from '../data/preprocessing';
import { errorMessage } from '../util/errors';

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

/** A --normalise value, checked by the one parser of engine/data/preprocessing. */
export function normaliseArg(value: string): string {
  try {
    checkNormaliseRule(value);
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err));
  }
  return value;
}

export const NORMALISE_HELP =
  "input normalisation: dataset (the training split's per-channel statistics), none (pixels in [0, 1]), imagenet, or MEAN/STD (e.g. 0.5/0.25, or per channel 0.49,0.48,0.45/0.25,0.24,0.26)";
export const AUGMENT_HELP = 'training augmentation: auto (crop-flip for natural images, none for digits), none, or crop-flip';
