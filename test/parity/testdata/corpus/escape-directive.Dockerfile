# escape=`
# check=skip=all
FROM busybox
RUN echo "the escape character is a backtick" `
    > /escape
COPY hello.txt `
     /hello.txt
