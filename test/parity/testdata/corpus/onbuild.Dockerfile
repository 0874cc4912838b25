# ONBUILD triggers recorded in the image config (the base of onbuild-child).
FROM busybox
ONBUILD COPY hello.txt /onbuild/hello.txt
ONBUILD RUN echo triggered > /onbuild/ran
ONBUILD LABEL org.example.onbuild=triggered
CMD ["ls", "/onbuild"]
