import { Inject } from '@nestjs/common';
import { SSE_OPTIONS } from '../sse.constants.js';

/**
 * Injects the resolved module options (defaults merged, validated).
 *
 * @example
 * constructor(@InjectSseOptions() private readonly options: ResolvedSseOptions) {}
 */
export const InjectSseOptions = (): ParameterDecorator => Inject(SSE_OPTIONS);
