import { z } from 'zod';

/** Field schemas shared by the engines' config blocks, so that every engine words a refusal the same way. */
export const positiveInt = z.number({ error: 'must be a number' }).int('must be an integer').positive('must be positive');
export const nonNegativeInt = z.number({ error: 'must be a number' }).int('must be an integer').nonnegative('must not be negative');
export const portNumber = positiveInt.max(65535, 'must be at most 65535');

/** False when `value` holds a NUL character (which would end the value in a driver's wire message). */
export const noNul = (value: string) => !value.includes('\u0000');
