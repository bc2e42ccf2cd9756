# Builds the unit tests: each t/unit/test_NAME.c becomes OBJ/test_NAME,
# linked with every shared/*.c.  Called by build.sh with ROOT, OBJ and
# EXTRA_CFLAGS (the sanitizer build).

CC      ?= cc
CFLAGS  := -std=gnu99 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
           -D_GNU_SOURCE -I$(ROOT)/shared -I/usr/include/postgresql \
           -MMD -MP $(EXTRA_CFLAGS)
LDLIBS  := -Wl,--as-needed -lcmocka -lsqlite3 -lpq -ljansson -lcmark \
           -lcurl -lexpat -lssl -lcrypto -lpthread -lm

SHARED  := $(patsubst $(ROOT)/%.c,$(OBJ)/%.o,$(wildcard $(ROOT)/shared/*.c))
TESTS   := $(patsubst $(ROOT)/t/unit/%.c,$(OBJ)/%,\
               $(wildcard $(ROOT)/t/unit/test_*.c))

all: $(TESTS)

$(OBJ)/test_%: $(OBJ)/t/unit/test_%.o $(SHARED)
	$(CC) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/%.o: $(ROOT)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

.SECONDARY:

-include $(SHARED:.o=.d) $(TESTS:%=%.d)
