# RUN in shell form, exec form, and over several lines.
FROM busybox
RUN echo shell form > /shell && \
    echo continued >> /shell
RUN ["sh", "-c", "echo exec form > /exec"]
RUN ["/bin/touch", "/exec-no-shell"]
RUN set -e; \
    for i in 1 2 3; do echo $i; done > /loop
