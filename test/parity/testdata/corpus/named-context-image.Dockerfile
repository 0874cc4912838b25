# A named context replacing an image (--build-context alpine=docker-image://busybox):
# FROM alpine builds on busybox.
FROM alpine
RUN echo "built on $(busybox | head -1 | cut -d' ' -f1)" > /base
