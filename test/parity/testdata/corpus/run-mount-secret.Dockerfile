# RUN --mount=type=secret as a file and as an environment variable, required;
# the secret itself stays out of the image.
FROM busybox
RUN --mount=type=secret,id=token,required=true \
    test "$(cat /run/secrets/token)" = s3cret && echo file ok > /secret-file
RUN --mount=type=secret,id=token,env=TOKEN \
    test "$TOKEN" = s3cret && echo env ok > /secret-env
RUN --mount=type=secret,id=token,target=/etc/token,mode=0400 \
    test -r /etc/token && echo target ok > /secret-target
