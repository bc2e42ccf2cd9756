# Builds the arthexis CLI: every modules/<app>/cli_*.c, shared/*.c and the
# two generated tables.  Called by build.sh with ROOT, OBJ, OUT and
# EXTRA_CFLAGS; incremental (dependencies from -MMD).

CC      ?= cc
CFLAGS  := -std=gnu99 -g -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
           -D_GNU_SOURCE -I$(ROOT)/shared -I$(ROOT)/modules/core \
           -I/usr/include/postgresql -MMD -MP $(EXTRA_CFLAGS)
LDLIBS  := -lsqlite3 -lpq -ljansson -lcmark -lcurl -lexpat -lssl -lcrypto \
           -lpthread -lm

SRCS    := $(wildcard $(ROOT)/shared/*.c) \
           $(wildcard $(ROOT)/modules/*/cli_*.c)
OBJS    := $(patsubst $(ROOT)/%.c,$(OBJ)/%.o,$(SRCS)) \
           $(OBJ)/gen/ax_migrations.o $(OBJ)/gen/ax_cli_commands.o

$(OUT): $(OBJS)
	$(CC) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/%.o: $(ROOT)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OBJ)/gen/%.o: $(OBJ)/gen/%.c
	$(CC) $(CFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d)
