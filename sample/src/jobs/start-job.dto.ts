import { IsInt, Max, Min } from 'class-validator';

export class StartJobDto {
  @IsInt()
  @Min(1_000)
  @Max(50_000_000)
  limit!: number;
}
