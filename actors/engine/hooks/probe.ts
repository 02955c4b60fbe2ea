// Imported once per thread to learn whether TypeScript already loads here.
export const probe: number = 1;
