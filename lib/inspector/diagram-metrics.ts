/**
 * The machine picture's text metrics, shared by the server-side layout (ELK needs sizes before it places anything)
 * and the SVG that draws it in the browser.
 */
export const LINE_HEIGHT = 16;
