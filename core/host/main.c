/* The inf-engine program: the command line lives in libinf-engine. */
#include <inf/engine.h>

int
main(int argc, char **argv)
{
  return inf_engine_main(argc, argv);
}
