/* Rewrites /proc/PID/cmdline in place (setproctitle), so a process husk leaves in a
 * container (--init's PID 1) shows no host path to the processes beside it. */
#pragma once

/* main() hands over argv once; later calls may overwrite that memory. */
void proctitle_init(int argc, char **argv);
void proctitle_set(const char *title);
