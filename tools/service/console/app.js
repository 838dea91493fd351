/* the web console: the next commit */
