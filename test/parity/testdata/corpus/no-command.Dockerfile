# Neither ENTRYPOINT nor CMD (the supervisor exits 127 at run time).
FROM scratch
COPY hello.txt /
