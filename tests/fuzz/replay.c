/*
 * Runs the fuzz target over every file of the committed corpus (or the
 * files named on the command line), so that plain `make check` replays
 * what the fuzzer found without needing libFuzzer.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path)
{
	unsigned char	 buf[65536];
	size_t		 n;
	FILE		*fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dirent	*de;
	DIR		*dir;
	char		 path[4096];
	int		 i, count = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay_file(argv[i]) == -1)
				return 1;
		return 0;
	}
	if ((dir = opendir(CORPUS_DIR)) == NULL) {
		perror(CORPUS_DIR);
		return 1;
	}
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR,
		    de->d_name) >= sizeof(path))
			continue;
		if (replay_file(path) == -1) {
			closedir(dir);
			return 1;
		}
		count++;
	}
	closedir(dir);
	printf("replayed %d corpus files\n", count);
	/* An empty corpus replays nothing: say so as a failure. */
	return count > 0 ? 0 : 1;
}
