# HEALTHCHECK with every flag, exec form.
FROM busybox
HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --start-interval=1s --retries=4 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
CMD ["httpd", "-f", "-p", "8080"]
