// Package dirent lists directories with getdents64, without package os's
// directory reading, which links file-info formatting into the binary (the
// supervisor ships in every image: every kilobyte counts).
package dirent
