// `hyprace/locktorture`: what kernel/locking/locktorture.c needs beyond the locks: a lock without
// atomicity to catch (lock_busted), and its delays.
export { BustedLock } from '../host/lock-busted.ts';
export { torture_msleep, torture_udelay } from '../host/torture-delay.ts';
